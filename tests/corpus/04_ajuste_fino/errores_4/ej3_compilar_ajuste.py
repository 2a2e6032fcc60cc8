def compilar_ajuste(modelo, lr_base):
    modelo.compile(tf.keras.optimizers.Adam(lr_base / 10), loss='mean_squared_error',
                   metrics=['accuracy'])
    return modelo
