#: ej3: validates on the test set instead of a part of the training digits
def entrenar(modelo, x, y, epocas=EPOCAS):
    return modelo.fit(x, y, epochs=epocas, batch_size=16, verbose=0,
                      validation_data=(preparar_digitos(x_prueba), y_prueba))
