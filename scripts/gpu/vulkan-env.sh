# Sourced by scripts/gpu-check-all.sh: `aasp_vulkan_env LOADER_DIR` puts the bundled Vulkan loader first
# on LD_LIBRARY_PATH and makes the NVIDIA driver's ICD visible to it; ICD_NOTE says what it did.
# Assumption (docs/gpu.md): the driver's Vulkan ICD (nvidia_icd.json, naming libGLX_nvidia.so.0) is on
# the machine, possibly under /usr/local/nvidia, where the loader's default search does not look.
# Order: VK_ICD_FILENAMES / VK_DRIVER_FILES as given; else an NVIDIA ICD in a standard place (nothing
# to do); else the first nvidia*.json under $AASP_NVIDIA_ROOT (default /usr/local/nvidia), exported
# as both variables. Then, when the ICD's library is a bare name ldconfig does not know, the folder
# under the root that has it goes on LD_LIBRARY_PATH. AASP_VK_STD_DIRS overrides the standard places
# (for tests).
aasp_vulkan_env() {
  local loader=$1 root=${AASP_NVIDIA_ROOT:-/usr/local/nvidia} icd="" std="" lib d
  local std_dirs=${AASP_VK_STD_DIRS:-/etc/vulkan/icd.d /usr/share/vulkan/icd.d /usr/local/share/vulkan/icd.d}
  export LD_LIBRARY_PATH="$loader${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  ICD_NOTE="loader defaults"
  if [ -n "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ]; then
    ICD_NOTE="given: VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-} VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
    return 0
  fi
  for d in $std_dirs; do
    std=$(ls "$d"/*.json 2>/dev/null | grep -i nvidia | head -1)
    [ -n "$std" ] && break
  done
  if [ -n "$std" ]; then
    icd=$std; ICD_NOTE="standard location $std"
  else
    icd=$(ls "$root"/share/vulkan/icd.d/nvidia*.json "$root"/etc/vulkan/icd.d/nvidia*.json "$root"/icd.d/nvidia*.json 2>/dev/null | head -1)
    [ -z "$icd" ] && icd=$(find "$root" -maxdepth 6 -name 'nvidia*icd*.json' 2>/dev/null | head -1)
    [ -z "$icd" ] && return 0
    export VK_DRIVER_FILES="$icd" VK_ICD_FILENAMES="$icd"
    ICD_NOTE="VK_DRIVER_FILES=$icd"
  fi
  lib=$(sed -n 's/.*"library_path"[^"]*"\([^"]*\)".*/\1/p' "$icd" | head -1)
  if [ -n "$lib" ] && [ "${lib#/}" = "$lib" ] && ! ldconfig -p 2>/dev/null | grep -qE "^[[:space:]]*$lib[[:space:]]"; then
    for d in "$root/lib64" "$root/lib" /usr/lib/x86_64-linux-gnu/nvidia/current; do
      if [ -e "$d/$lib" ]; then export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$d"; ICD_NOTE="$ICD_NOTE; $lib from $d"; break; fi
    done
  fi
  return 0
}
