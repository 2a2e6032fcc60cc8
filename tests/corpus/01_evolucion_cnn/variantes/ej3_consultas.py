#: ej3: a loop over sorted rows; nlargest
def primer_bajo_humano(tabla):
    humano = float(tabla.query('model == @HUMANO')['top5_error_pct'].iloc[0])
    for fila in tabla.sort_values('year').itertuples():
        if fila.model != HUMANO and fila.top5_error_pct < humano:
            return fila.model
    return None

def mayor_reduccion(tabla):
    return tabla.nlargest(1, 'error_reduction_pct')['model'].iloc[0]
