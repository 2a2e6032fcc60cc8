#: ej3: the human error written by hand instead of read from the table
def primer_bajo_humano(tabla):
    debajo = tabla[(tabla['model'] != HUMANO) & (tabla['top5_error_pct'] < 5.1)]
    return debajo['model'].iloc[0] if len(debajo) else None

def mayor_reduccion(tabla):
    return tabla.loc[tabla['error_reduction_pct'].idxmax(), 'model']
