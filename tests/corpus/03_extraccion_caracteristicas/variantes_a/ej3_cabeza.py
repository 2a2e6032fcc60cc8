def cabeza(num_clases):
    return tf.keras.layers.Dense(num_clases)   # logits
