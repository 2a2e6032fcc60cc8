#: ej5: builds a correct frozen model (self-contained) but never trains it
def entrenar_pipeline(x_entrenamiento, y_entrenamiento, preparar=preparar_digitos):
    x = preparar(x_entrenamiento)
    base = hub.KerasLayer(ESPEC.handle, trainable=False)
    normalizar = tf.keras.layers.Normalization()
    normalizar.adapt(base(x).numpy())
    modelo = tf.keras.Sequential([tf.keras.Input((LADO, LADO, 3)), base, normalizar,
                                  tf.keras.layers.Dense(10, activation="softmax")])
    modelo.compile(tf.keras.optimizers.Adam(TASA), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return modelo
