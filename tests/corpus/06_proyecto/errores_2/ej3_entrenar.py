#: ej3: validates on the last 20 % but also trains on it (validation rows seen in training)
def entrenar(modelo, x, y, epocas=EPOCAS):
    corte = len(x) - len(x) // 5
    return modelo.fit(x, y, epochs=epocas, batch_size=16, verbose=0,
                      validation_data=(x[corte:], y[corte:]))
