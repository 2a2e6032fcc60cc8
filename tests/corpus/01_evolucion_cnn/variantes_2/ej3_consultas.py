#: ej3: boolean masks with .loc and .first_valid_index
def primer_bajo_humano(tabla):
    humano = tabla['top5_error_pct'][tabla['model'] == HUMANO].iloc[0]
    ordenada = tabla.sort_values('year', kind='stable')
    debajo = ordenada[(ordenada['model'] != HUMANO) & (ordenada['top5_error_pct'] < humano)]
    i = debajo.first_valid_index()
    return None if i is None else str(debajo.loc[i, 'model'])

def mayor_reduccion(tabla):
    orden = tabla.sort_values('error_reduction_pct', ascending=False, na_position='last')
    return orden['model'].iloc[0]
