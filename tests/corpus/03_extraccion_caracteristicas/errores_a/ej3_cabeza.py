#: ej3: wrong number of units (the source task's 10 classes)
def cabeza(num_clases):
    return tf.keras.layers.Dense(10, activation='softmax')
