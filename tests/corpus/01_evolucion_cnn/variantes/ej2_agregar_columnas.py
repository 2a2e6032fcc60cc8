#: ej2: pct_change on the winners, assigned through .loc
def agregar_columnas(tabla):
    t = tabla.copy()
    t['params_millions'] = t['params'].div(1_000_000)
    g = t['ilsvrc_place_task'].str.startswith('1st, classification')
    t.loc[g, 'error_reduction_pct'] = -100 * t.loc[g, 'top5_error_pct'].pct_change()
    return t
