def modelo_completo(handle, num_clases, tamano=32):
    entrada = tf.keras.Input(shape=(tamano, tamano, 3))
    caracteristicas = capa_base(handle)(entrada)
    return tf.keras.Model(entrada, cabeza(num_clases)(caracteristicas))
