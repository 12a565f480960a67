// How holdout images are prepared for a model, in words (shown with every model's result): kept
// apart from images.ts, which does it, so that what only shows the rule loads no image or tensor library.
export const PREPROCESSING_RULE =
  "Images are decoded to RGB, resized to the model's input size with bilinear interpolation (as tf.image.resize / Keras image_dataset_from_directory), and given as float32 values from 0 to 255 (no scaling: put a Rescaling(1/255) layer in the model if it expects 0–1). Models with one input channel get grayscale (tf.image.rgb_to_grayscale).";
