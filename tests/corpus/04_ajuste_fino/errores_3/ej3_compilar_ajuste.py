def compilar_ajuste(modelo, lr_base):
    modelo.compile(tf.keras.optimizers.Adam(lr_base / 10), 'sparse_categorical_crossentropy',
                   metrics=['accuracy'])
