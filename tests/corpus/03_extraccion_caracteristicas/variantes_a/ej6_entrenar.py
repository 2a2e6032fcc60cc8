def entrenar(modelo, x, y, validacion=None, verbose=0):
    return modelo.fit(x, y, epochs=60, batch_size=20, shuffle=True,
                      validation_data=validacion, verbose=verbose)

def exactitud(modelo, x, y):
    return float(modelo.evaluate(x, y, batch_size=500, verbose=0)[1])
