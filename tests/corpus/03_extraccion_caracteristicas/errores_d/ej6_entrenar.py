#: ej6: ignores validacion
def entrenar(modelo, x, y, validacion=None, verbose=0):
    return modelo.fit(x, y, epochs=40, batch_size=16, verbose=verbose)

def exactitud(modelo, x, y):
    return float(np.mean(np.argmax(modelo.predict(x, verbose=0), axis=1) == y))
