#: ej7: monitors the training loss, which keeps falling: it never stops and "best" is the last epoch
def entrenar_con_parada(modelo, x, y, x_val, y_val, max_epocas, paciencia=5, batch_size=32, verbose=0):
    parada = tf.keras.callbacks.EarlyStopping(monitor="loss", patience=paciencia, restore_best_weights=True)
    return modelo.fit(x, y, validation_data=(x_val, y_val), epochs=max_epocas, batch_size=batch_size,
                      callbacks=[parada], verbose=verbose)
