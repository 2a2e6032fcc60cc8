#: ej2: the base is left trainable (hub.KerasLayer(..., trainable=True)): not frozen
def construir_congelado(num_clases, x):
    base = hub.KerasLayer(ESPEC.handle, trainable=True)
    normalizar = tf.keras.layers.Normalization()
    normalizar.adapt(base(np.asarray(x, dtype=np.float32)).numpy())
    modelo = tf.keras.Sequential([tf.keras.Input((LADO, LADO, 3)), base, normalizar,
                                  tf.keras.layers.Dense(num_clases, activation="softmax")])
    modelo.compile(tf.keras.optimizers.Adam(TASA), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return modelo
