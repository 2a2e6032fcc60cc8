#: ej3: 100x lower, loss and metric objects
def compilar_ajuste(modelo, lr_base):
    modelo.compile(optimizer=tf.keras.optimizers.Adam(lr_base * 0.01),
                   loss=tf.keras.losses.SparseCategoricalCrossentropy(),
                   metrics=[tf.keras.metrics.SparseCategoricalAccuracy()])
    return modelo
