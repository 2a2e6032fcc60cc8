#: ej3: validation_split of 25 %
def entrenar(modelo, x, y, epocas=EPOCAS):
    historia = modelo.fit(x, y, epochs=epocas, batch_size=16, validation_split=0.25, verbose=0)
    return historia
