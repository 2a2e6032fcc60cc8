def preprocesar(imagenes, tamano=32):
    x = tf.convert_to_tensor(imagenes)[..., tf.newaxis]
    x = tf.image.resize_with_crop_or_pad(x, 32, 32)
    x = tf.image.grayscale_to_rgb(tf.cast(x, tf.float32) / 255.0)
    if tamano != 32:
        x = tf.image.resize(x, (tamano, tamano))
    return x.numpy()
