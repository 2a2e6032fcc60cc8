def preprocesar(imagenes, tamano=32):
    imagenes = data.pad_catalogo(imagenes) if imagenes.shape[1] == 28 else np.array(imagenes)
    x = np.stack([imagenes] * 3, axis=-1).astype('float32') / 255
    return x if tamano == 32 else tf.image.resize(x, [tamano, tamano]).numpy()
