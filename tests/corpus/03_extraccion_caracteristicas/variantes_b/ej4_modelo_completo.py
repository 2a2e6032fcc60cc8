def modelo_completo(handle, num_clases, tamano=32):
    modelo = tf.keras.Sequential([capa_base(handle), cabeza(num_clases)])
    modelo.build((None, tamano, tamano, 3))
    return modelo
