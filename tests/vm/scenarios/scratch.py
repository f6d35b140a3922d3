def check(r):
    print(r.text("v.err")[-6000:])
