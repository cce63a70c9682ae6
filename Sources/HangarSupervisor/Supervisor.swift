// HangarSupervisor: hosted workloads and their lifecycle.
