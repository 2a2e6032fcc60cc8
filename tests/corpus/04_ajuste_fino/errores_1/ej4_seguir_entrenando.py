#: ej4: no initial_epoch (epochs restart at 0)
def seguir_entrenando(modelo, x, y, historia_previa, epocas_extra, batch_size=32, verbose=2):
    return modelo.fit(x, y, epochs=epocas_extra, batch_size=batch_size, verbose=verbose)
