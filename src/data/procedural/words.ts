/** Vocabulary for synthesised speech: keyword classes and filler words for sentences. */

/** The keyword proxy task's classes (the ten command words of Speech Commands). */
export const KEYWORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;

/** Words for random utterances: varied phonetics, common enough for espeak-ng to say well. */
export const WORDS = [
  'the', 'a', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'zero',
  'house', 'river', 'morning', 'evening', 'water', 'light', 'music', 'window', 'garden', 'yellow',
  'green', 'blue', 'orange', 'purple', 'quickly', 'slowly', 'happy', 'quiet', 'loud', 'bright',
  'dark', 'small', 'large', 'paper', 'pencil', 'table', 'chair', 'mountain', 'ocean', 'forest',
  'city', 'station', 'train', 'bicycle', 'engine', 'thunder', 'rain', 'snow', 'summer', 'winter',
  'kitchen', 'coffee', 'bread', 'cheese', 'apple', 'banana', 'tomato', 'potato', 'chicken', 'fish',
  'dog', 'cat', 'bird', 'horse', 'tiger', 'zebra', 'monkey', 'elephant', 'teacher', 'doctor',
  'friend', 'brother', 'sister', 'mother', 'father', 'people', 'number', 'question', 'answer',
  'because', 'although', 'maybe', 'always', 'never', 'sometimes', 'tomorrow', 'yesterday', 'today',
  'walk', 'run', 'jump', 'sing', 'read', 'write', 'think', 'listen', 'remember', 'forget', 'open',
  'close', 'begin', 'finish', 'measure', 'travel', 'visit', 'build', 'carry', 'follow', 'wonder',
] as const;
