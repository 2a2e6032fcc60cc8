#: ej6: accuracy as a percentage
def entrenar(modelo, x, y, validacion=None, verbose=0):
    return modelo.fit(x, y, epochs=40, batch_size=16, validation_data=validacion, verbose=verbose)

def exactitud(modelo, x, y):
    return 100.0 * float(np.mean(np.argmax(modelo.predict(x, verbose=0), axis=1) == y))
