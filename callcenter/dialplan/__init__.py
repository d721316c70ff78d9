"""The generated dialplan's description: the names (contexts, AstDB keys, codes) and the prompts it
plays, shared by the config generator, the service and the simulator.
"""
