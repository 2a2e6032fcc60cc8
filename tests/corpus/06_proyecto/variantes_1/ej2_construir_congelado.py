#: ej2: functional API, features computed with a separate frozen extractor
def construir_congelado(num_clases, x):
    base = hub.KerasLayer(ESPEC.handle, trainable=False)
    entrada = tf.keras.Input(shape=(LADO, LADO, 3))
    caracteristicas = base(entrada)
    normalizar = tf.keras.layers.Normalization()
    normalizar.adapt(tf.keras.Model(entrada, caracteristicas).predict(x, verbose=0))
    salida = tf.keras.layers.Dense(num_clases, activation="softmax")(normalizar(caracteristicas))
    modelo = tf.keras.Model(entrada, salida)
    modelo.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=TASA),
                   loss=tf.keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return modelo
