// msgpackr loads this optionally, inside a try: failing to load is how it learns to use its
// JavaScript decoder, which is what we want.
throw new Error('msgpackr-extract is not installed: msgpackr runs in JavaScript');
