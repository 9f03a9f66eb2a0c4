"""The cahier d'inventaire (durable goods): the record (`model`) and the page's actions (`actions`)."""
