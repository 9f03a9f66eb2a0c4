"""The web portal: accounts, authorization, one Fava app per coop, writes through the store."""
