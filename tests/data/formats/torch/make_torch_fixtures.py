# Made these fixtures with real torch (2.11.0+cu130) on a machine that has it:
#   model.pt = a checkpoint written by cmimic's cm_torch_save (values ((k*37)%101-50)/16),
#   checked here with torch.load(weights_only=True), then re-saved by torch.save as
#   torch_resaved.pt; module_sd.pt (nn.Sequential(Linear(3,5), Tanh, Linear(5,2)) after
#   normal_ init with seed 0), views.pt (shared storage, transposed and offset views) and
#   double.pt (float64: must be rejected) are written by torch.save directly. Set OUT.
import sys, os, torch
print("torch", torch.__version__)
sd = torch.load("/tmp/dc/model.pt", weights_only=True)
print(type(sd).__name__, [(k, tuple(v.shape), v.dtype) for k, v in sd.items()])
val = lambda k: ((k * 37) % 101 - 50) / 16.0
exp = {"actor.0.weight": ((4, 3), 0), "actor.0.bias": ((4,), 1), "critic.scale": ((), 2), "enc.conv": ((2, 1, 3, 2), 3)}
for k, (shape, off) in exp.items():
    t = sd[k]; n = t.numel()
    assert tuple(t.shape) == shape and t.dtype == torch.float32, k
    assert t.flatten().tolist() == [val(i + off) for i in range(n)], k
print("torch.load OK")
out = os.environ["OUT"]
torch.save(sd, out + "/torch_resaved.pt")
m = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
torch.manual_seed(0)
for p in m.parameters(): torch.nn.init.normal_(p)
torch.save(m.state_dict(), out + "/module_sd.pt")
w = torch.arange(12, dtype=torch.float32).reshape(3, 4)
torch.save({"w": w, "wt": w.t(), "tail": w[1:]}, out + "/views.pt")
torch.save({"d": torch.zeros(2, dtype=torch.float64)}, out + "/double.pt")
# legacy.pt (torch's pre-1.6 non-zip format: must be refused with a hint) was written by Debian's
# python3-torch 1.13.1 the same way:
torch.save({"w": torch.zeros(2)}, out + "/legacy.pt", _use_new_zipfile_serialization=False)
import numpy as np
np.save(out + "/module_vals.npy", np.concatenate([p.detach().numpy().ravel() for p in m.state_dict().values()]))
with open(out + "/module_names.txt", "w") as f:
    for k, v in m.state_dict().items(): f.write("%s %s\n" % (k, " ".join(map(str, v.shape))))
print("saved")
