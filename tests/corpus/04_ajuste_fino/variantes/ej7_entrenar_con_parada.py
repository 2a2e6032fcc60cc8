#: ej7: another patience and keyword arguments; verbose passed through
def entrenar_con_parada(modelo, x, y, x_val, y_val, max_epocas, paciencia=8, batch_size=32, verbose=0):
    callbacks = [tf.keras.callbacks.EarlyStopping(patience=paciencia, monitor="val_loss",
                                                  restore_best_weights=True, mode="min")]
    historia = modelo.fit(x=x, y=y, epochs=max_epocas, batch_size=batch_size, verbose=verbose,
                          validation_data=(x_val, y_val), callbacks=callbacks)
    return historia
