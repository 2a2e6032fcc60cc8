#: ej2: diff over the previous winner, computed on a sub-table and merged back
def agregar_columnas(tabla):
    ganadores = tabla[tabla['ilsvrc_place_task'].str.startswith(GANADOR)]
    e = ganadores['top5_error_pct']
    reduccion = (-e.diff() / e.shift() * 100).rename('error_reduction_pct')
    return tabla.assign(params_millions=tabla['params'] / 10**6).join(reduccion)
