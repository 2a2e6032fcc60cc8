#: ej2: reduction on the wrong base (the new error as denominator)
def agregar_columnas(tabla):
    t = tabla.copy()
    t['params_millions'] = t['params'] / 1e6
    g = t['ilsvrc_place_task'].str.startswith(GANADOR)
    e = t.loc[g, 'top5_error_pct']
    t['error_reduction_pct'] = 100 * (e.shift() - e) / e
    return t
