print("spaces")
