#: ej1: divides by 255 out of habit (Fashion-MNIST bytes): digits end up almost black
def preparar_digitos(imagenes):
    x = tf.image.resize(np.asarray(imagenes, np.float32)[..., None] / 255.0, (LADO, LADO))
    return tf.repeat(x, 3, axis=-1).numpy()
