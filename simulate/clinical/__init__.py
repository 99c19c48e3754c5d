"""Pure clinical functions of practice style and patient risk: outcome probabilities,
costs, health gain and treatment time (``outcomes``). The world draws patients'
outcomes from them; physicians' expectations (``behaviour``) are built from them."""
