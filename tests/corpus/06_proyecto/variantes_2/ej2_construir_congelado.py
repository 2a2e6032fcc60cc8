#: ej2: logits head (no softmax) with from_logits=True
def construir_congelado(num_clases, x):
    base = hub.KerasLayer(ESPEC.handle, trainable=False)
    normalizar = tf.keras.layers.Normalization()
    normalizar.adapt(base(x).numpy())
    modelo = tf.keras.Sequential([tf.keras.Input((LADO, LADO, 3)), base, normalizar,
                                  tf.keras.layers.Dense(num_clases)])
    modelo.compile(tf.keras.optimizers.Adam(TASA),
                   tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return modelo
