#: ej1: resize straight to 32x32, grayscale_to_rgb, float64 input handled by tf
def preparar_digitos(imagenes):
    x = tf.convert_to_tensor(imagenes, dtype=tf.float32)[..., tf.newaxis]
    x = tf.image.resize(x / 16.0, [LADO, LADO], method='bilinear')
    return tf.image.grayscale_to_rgb(x).numpy()
