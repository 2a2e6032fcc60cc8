#: ej4: pyplot API, plot with markers, plt.text
def graficar_error(tabla, ax=None):
    plt.figure(figsize=(8, 4))
    humano = tabla.loc[tabla['model'] == HUMANO, 'top5_error_pct'].item()
    modelos = tabla[(tabla['model'] != HUMANO) & tabla['top5_error_pct'].notna()]
    plt.plot(modelos['year'], modelos['top5_error_pct'], 'o')
    for _, fila in modelos.iterrows():
        plt.text(fila['year'], fila['top5_error_pct'], fila['model'])
    plt.axhline(humano, linestyle=':')
    plt.xlabel('Año')
    plt.ylabel('Error top-5 [%]')
    return plt.gca()
