#: ej7: EarlyStopping without restore_best_weights: the model keeps the last epoch's weights
def entrenar_con_parada(modelo, x, y, x_val, y_val, max_epocas, paciencia=5, batch_size=32, verbose=0):
    parada = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=paciencia)
    return modelo.fit(x, y, validation_data=(x_val, y_val), epochs=max_epocas, batch_size=batch_size,
                      callbacks=[parada], verbose=verbose)
