"""PyTorch side of bench/torch_interop_check.sh (needs torch; nothing else outside the stdlib).

  torch_interop_check.py MODEL.pt AGENT_YAML OUTDIR [RESUME.pt]

(a) Builds torch modules laid out as MimicKit's agent is (its parameter names, shapes and dtypes:
    normalizers hold an int64 [1] count and float32 mean/std as non-trainable Parameters; the
    PPO model's actor/critic MLPs, Gaussian action head and critic output; AMP's discriminator),
    sized from the agent yaml's net names and the env's dims, and torch.load()s cmimic's model.pt
    into them with strict=True, checking every dtype too (load_state_dict would convert silently).
(b) Writes, with torch.save, the files a MimicKit user has: the loaded state dict (CPU, and CUDA
    when there is a GPU: storages located 'cuda:0'), a freshly initialised agent, and files that
    must be refused. OUTDIR/expect.tsv lists each file, what cmimic must do with it ("same" Mean
    Return as MODEL.pt, "runs", or the regex of its one-line refusal). The shell script runs cmimic.
Prints one line per check; exit 1 when any failed here."""
import math
import os
import re
import sys

import torch

# MimicKit's nets (learning/nets/*.py): hidden layer sizes, each Linear followed by ReLU.
NETS = {
    "fc_2layers_128units": [128, 64],
    "fc_2layers_256units": [256, 128],
    "fc_2layers_512units": [512, 256],
    "fc_2layers_1024units": [1024, 512],
    "fc_3layers_1024units": [1024, 1024, 512],
}

failed = 0


def check(ok, what):
    global failed
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failed += 1


def yaml_fields(path):
    """The few scalar keys of an agent yaml this needs (no yaml module on a bare torch install)."""
    want = ("actor_net", "critic_net", "disc_net", "actor_std_type", "action_std", "actor_init_output_scale")
    out = {}
    with open(path) as f:
        for line in f:
            m = re.match(r'\s*(\w+)\s*:\s*"?([^"#\s]+)"?', line)
            if m and m.group(1) in want and m.group(1) not in out:
                out[m.group(1)] = m.group(2)
    return out


class Normalizer(torch.nn.Module):
    def __init__(self, dim):
        super().__init__()
        frozen = dict(requires_grad=False)
        self._count = torch.nn.Parameter(torch.zeros([1], dtype=torch.long), **frozen)
        self._mean = torch.nn.Parameter(torch.zeros([dim], dtype=torch.float32), **frozen)
        self._std = torch.nn.Parameter(torch.ones([dim], dtype=torch.float32), **frozen)


def mlp(in_dim, sizes):
    layers = []
    for n in sizes:
        lin = torch.nn.Linear(in_dim, n)
        torch.nn.init.zeros_(lin.bias)
        layers += [lin, torch.nn.ReLU()]
        in_dim = n
    return torch.nn.Sequential(*layers)


class GaussianHead(torch.nn.Module):
    def __init__(self, in_dim, a_dim, std_type, std, scale):
        super().__init__()
        self._mean_net = torch.nn.Linear(in_dim, a_dim)
        torch.nn.init.uniform_(self._mean_net.weight, -scale, scale)
        torch.nn.init.zeros_(self._mean_net.bias)
        if std_type == "VARIABLE":
            self._logstd_net = torch.nn.Linear(in_dim, a_dim)
            torch.nn.init.uniform_(self._logstd_net.weight, -scale, scale)
            torch.nn.init.constant_(self._logstd_net.bias, math.log(std))
        else:  # FIXED (frozen) or CONSTANT (trained): one log-std per action dim
            self._logstd_net = torch.nn.Parameter(torch.full([a_dim], math.log(std)), requires_grad=std_type == "CONSTANT")


class Model(torch.nn.Module):
    def __init__(self, cfg, obs_dim, a_dim, disc_dim):
        super().__init__()
        actor, critic = NETS[cfg["actor_net"]], NETS[cfg["critic_net"]]
        self._actor_layers = mlp(obs_dim, actor)
        self._action_dist = GaussianHead(actor[-1], a_dim, cfg.get("actor_std_type", "FIXED"),
                                         float(cfg.get("action_std", 0.05)), float(cfg.get("actor_init_output_scale", 0.01)))
        self._critic_layers = mlp(obs_dim, critic)
        self._critic_out = torch.nn.Linear(critic[-1], 1)
        torch.nn.init.zeros_(self._critic_out.bias)
        if disc_dim:
            disc = NETS[cfg["disc_net"]]
            self._disc_layers = mlp(disc_dim, disc)
            self._disc_logits = torch.nn.Linear(disc[-1], 1)


class Agent(torch.nn.Module):
    def __init__(self, cfg, obs_dim, a_dim, disc_dim):
        super().__init__()
        self._obs_norm = Normalizer(obs_dim)
        self._a_norm = Normalizer(a_dim)
        if disc_dim:
            self._disc_obs_norm = Normalizer(disc_dim)
        self._model = Model(cfg, obs_dim, a_dim, disc_dim)

    def act(self, obs):
        """Deterministic action: the unnormalised mean of the Gaussian head."""
        h = self._model._actor_layers(torch.clamp((obs - self._obs_norm._mean) / self._obs_norm._std, -10, 10))
        return self._model._action_dist._mean_net(h) * self._a_norm._std + self._a_norm._mean


def main():
    model_pt, agent_yaml, out = sys.argv[1], sys.argv[2], sys.argv[3]
    resume_pt = sys.argv[4] if len(sys.argv) > 4 else None
    os.makedirs(out, exist_ok=True)
    print("torch", torch.__version__)
    cfg = yaml_fields(agent_yaml)

    # (a) torch.load of cmimic's file, strict, into MimicKit-shaped modules
    sd = torch.load(model_pt, map_location="cpu", weights_only=True)
    disc_dim = sd["_disc_obs_norm._mean"].shape[0] if "_disc_obs_norm._mean" in sd else 0
    if disc_dim and "disc_net" not in cfg:
        cfg["disc_net"] = cfg["actor_net"]
    dims = (sd["_obs_norm._mean"].shape[0], sd["_a_norm._mean"].shape[0], disc_dim)
    agent = Agent(cfg, *dims)
    want = agent.state_dict()
    check(list(sd) == list(want) or set(sd) == set(want),
          "%s: %d keys, the same names as MimicKit's %s agent (missing %s, unexpected %s)"
          % (model_pt, len(sd), "AMP" if disc_dim else "PPO", sorted(set(want) - set(sd)), sorted(set(sd) - set(want))))
    bad = ["%s %s %s (expected %s %s)" % (k, v.dtype, list(v.shape), want[k].dtype, list(want[k].shape))
           for k, v in sd.items() if k in want and (v.dtype != want[k].dtype or v.shape != want[k].shape)]
    check(not bad, "every tensor has MimicKit's dtype and shape%s" % ("" if not bad else ": " + "; ".join(bad)))
    counts = [k for k in sd if k.endswith("._count")]
    check(all(sd[k].dtype == torch.int64 for k in counts), "normalizer counts are int64: " +
          ", ".join("%s=%d" % (k, sd[k].item()) for k in counts))
    try:
        agent.load_state_dict(sd, strict=True)
        check(True, "load_state_dict(strict=True)")
    except RuntimeError as e:
        check(False, "load_state_dict(strict=True): " + str(e).replace("\n", " "))
        sys.exit(1)
    with torch.no_grad():
        a = agent.act(agent._obs_norm._mean.unsqueeze(0))
    check(bool(torch.isfinite(a).all()), "the loaded actor gives a finite action (|a| max %.4g)" % a.abs().max().item())
    if resume_pt:
        r = torch.load(resume_pt, map_location="cpu", weights_only=True)
        extra = sorted(k for k in r if k not in want)
        check(all(k in r for k in want), "%s: torch.load reads it (%d keys; %d beyond the model's: %s...)"
              % (resume_pt, len(r), len(extra), ", ".join(extra[:3])))

    # (b) torch.save of state dicts as a MimicKit user has them
    expect = []
    path = lambda name: os.path.join(out, name)
    torch.save(agent.state_dict(), path("torch_saved.pt"))
    expect.append(("torch_saved.pt", "same"))
    if torch.cuda.is_available():
        torch.save({k: v.to("cuda") for k, v in agent.state_dict().items()}, path("torch_saved_cuda.pt"))
        expect.append(("torch_saved_cuda.pt", "same"))
    else:
        print("note: no CUDA device, the cuda:0-located file is not written")
    torch.manual_seed(0)
    fresh = Agent(cfg, *dims)  # as MimicKit builds it before training; the action normaliser is the env's
    fresh._a_norm.load_state_dict(agent._a_norm.state_dict())
    torch.save(fresh.state_dict(), path("fresh_init.pt"))
    expect.append(("fresh_init.pt", "runs"))

    def bad_file(name, sd2, regex, **kw):
        torch.save(sd2, path(name), **kw)
        expect.append((name, regex))

    q = re.escape
    s = dict(agent.state_dict())
    s["_model._critic_out.bias"] = torch.zeros(2)
    bad_file("bad_shape.pt", s, q("tensor '_model._critic_out.bias' has shape [2], expected [1]"))
    s = dict(agent.state_dict())
    del s["_model._action_dist._logstd_net"]
    bad_file("bad_missing.pt", s, q("missing tensor '_model._action_dist._logstd_net'"))
    s = dict(agent.state_dict())
    s["_obs_norm._mean"] = s["_obs_norm._mean"].double()
    bad_file("bad_dtype.pt", s, q("tensor '_obs_norm._mean' has dtype Double, expected float32 or int64"))
    small = dict(cfg, actor_net="fc_2layers_512units", critic_net="fc_2layers_512units")
    bad_file("bad_net.pt", Agent(small, *dims).state_dict(),
             r"tensor '_model\.[a-z_.0-9]+' has shape \[[0-9, ]+\], expected \[[0-9, ]+\]")
    bad_file("bad_obs_dim.pt", Agent(cfg, dims[0] + 3, dims[1], dims[2]).state_dict(),
             r"tensor '_(obs_norm|model)\.[a-z_.0-9]+' has shape \[[0-9, ]+\], expected \[[0-9, ]+\]")
    bad_file("bad_legacy_format.pt", agent.state_dict(), q("not a PyTorch zip checkpoint (torch's legacy format"),
             _use_new_zipfile_serialization=False)
    with open(path("expect.tsv"), "w") as f:
        for name, what in expect:
            f.write("%s\t%s\n" % (name, what))
    print("wrote %d files for cmimic to load (%s)" % (len(expect), path("expect.tsv")))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
