#: ej3: learning rate not lowered
def compilar_ajuste(modelo, lr_base):
    modelo.compile(tf.keras.optimizers.Adam(lr_base), 'sparse_categorical_crossentropy',
                   metrics=['accuracy'])
    return modelo
