#: ej4: wrong input size (the 28x28 catalogue images)
def modelo_completo(handle, num_clases, tamano=32):
    return tf.keras.Sequential([tf.keras.Input((28, 28, 3)), capa_base(handle), cabeza(num_clases)])
