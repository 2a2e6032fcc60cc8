#: ej3: the best model overall instead of the first one below the human reference
def primer_bajo_humano(tabla):
    modelos = tabla[tabla['model'] != HUMANO]
    return modelos.loc[modelos['top5_error_pct'].idxmin(), 'model']

def mayor_reduccion(tabla):
    return tabla.loc[tabla['error_reduction_pct'].idxmax(), 'model']
