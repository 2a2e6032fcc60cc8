#: ej1: stretches the 28x28 images instead of padding them
def preprocesar(imagenes, tamano=32):
    x = np.asarray(imagenes).astype(np.float32)[..., None] / 255.0
    x = tf.image.resize(x, (tamano, tamano)).numpy()
    return np.repeat(x, 3, axis=-1)
