#: ej2: winners by equality, so "1st, classification; ..." (ResNet-152) is missed
def agregar_columnas(tabla):
    t = tabla.copy()
    t['params_millions'] = t['params'] / 1e6
    e = t.loc[t['ilsvrc_place_task'] == GANADOR, 'top5_error_pct']
    t['error_reduction_pct'] = 100 * (e.shift() - e) / e.shift()
    return t
