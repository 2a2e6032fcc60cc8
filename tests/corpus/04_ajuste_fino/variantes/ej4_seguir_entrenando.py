#: ej4: last epoch index + 1
def seguir_entrenando(modelo, x, y, historia_previa, epocas_extra, batch_size=32, verbose=2):
    ultima = historia_previa.epoch[-1] + 1
    h = modelo.fit(x, y, batch_size=batch_size, epochs=ultima + epocas_extra,
                   initial_epoch=ultima, verbose=verbose)
    return h
