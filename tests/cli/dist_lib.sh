# Sourced by the data-parallel tests (test_dist_*.sh, test_harness_dist.sh).

# Ends the test as a skip (exit 0 with a SKIP line) where ranks cannot start.
dist_require_mpi() {
  { command -v mpirun && ldd "$CMIMIC" | grep -q libmpi; } >/dev/null ||
    { echo "SKIP: no mpirun, or cmimic built without MPI"; exit 0; }
}

# dist_small_agent OUT BATCH EPOCHS UNITS: the shipped DeepMimic PPO agent made small enough for
# a few-second multi-rank run: 8 steps per iteration, mini-batches of BATCH, EPOCHS epochs, a log
# row and a one-episode test every iteration, 2 x UNITS hidden layers.
dist_small_agent() {
  sed -e 's/^steps_per_iter: .*/steps_per_iter: 8/' -e "s/^batch_size: .*/batch_size: $2/" \
      -e "s/^update_epochs: .*/update_epochs: $3/" -e 's/^iters_per_output: .*/iters_per_output: 1/' \
      -e 's/^test_episodes: .*/test_episodes: 1/' -e "s/fc_2layers_1024units/fc_2layers_$4units/g" \
      data/agents/deepmimic_humanoid_ppo_agent.yaml >"$1"
}
