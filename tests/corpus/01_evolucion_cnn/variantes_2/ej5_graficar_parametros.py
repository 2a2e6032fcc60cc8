#: ej5: pyplot, log-log
def graficar_parametros(tabla, ax=None):
    plt.figure()
    d = tabla.dropna(subset=['params', 'top5_error_pct'])
    plt.scatter(d['params'] / 1e6, d['top5_error_pct'])
    for m, x, y in zip(d['model'], d['params'] / 1e6, d['top5_error_pct']):
        plt.annotate(m, (x, y))
    plt.xscale('log')
    plt.yscale('log')
    plt.xlabel('parámetros (M)')
    plt.ylabel('error top-5 (%)')
    return plt.gca()
