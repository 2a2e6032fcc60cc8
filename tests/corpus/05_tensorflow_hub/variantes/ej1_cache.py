import os.path
def carpeta_cache(handle):
    return Path(os.getenv('TFHUB_CACHE_DIR')).joinpath(hashlib.sha1(bytes(handle, 'utf-8')).hexdigest())
def esta_en_cache(handle):
    return os.path.exists(os.path.join(carpeta_cache(handle), 'saved_model.pb'))
